"""One router per REST resource: models, predict, drift, feedback, health, actions."""
