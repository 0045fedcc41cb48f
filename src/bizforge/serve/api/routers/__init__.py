"""One router per REST resource: models, predict, health."""
