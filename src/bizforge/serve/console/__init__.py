"""The web console: the whole flow in a browser, served by ``bizforge serve`` at ``/``.

Sign in with an API key (a predict key sees and tries models; an admin key also
uploads, trains, publishes, promotes, rolls back, deletes and manages keys); pages
for Data, Train, Models, Try it, Keys and Monitor, in Chinese and English. A thin
edge over the library: reading and findings (``bizforge.families``/``clean``),
training (:mod:`bizforge.pipeline` in a background worker, see :mod:`.jobs`), the
registry and the server's own model cache and metrics. It never names a task
family: forms come from the families' ``Options`` and the predictors' actions.

>>> app = create_app(registry=reg)       # doctest: +SKIP  (mounts the console)
>>> TestClient(app).get("/signin").status_code
200
"""

from __future__ import annotations

from bizforge.serve.console.state import Console, ConsoleOptions, mount_console

__all__ = ["Console", "ConsoleOptions", "mount_console"]
