"""One router per resource; `api.app.create_app` mounts them all under /v1 (health at the root)."""
