"""Component ids, one module per page, so callbacks and layouts name the same components."""
