"""One module per menu item: `register_page` + a guarded `layout()`; no queries at import time."""
