"""Ids of the frame around every page: navbar, search box, user menu."""

NAV = "shell-nav"
CUSTOMER_SEARCH = "shell-search-customer"
UNIT_SEARCH = "shell-search-unit"
REDIRECT = "shell-redirect"
CONTEXT_LABEL = "shell-context-label"
# Dash's own location component for pages.
LOCATION = "_pages_location"
LOGOUT = "shell-logout"
# The page content landmark (target of keyboard users skipping the menu).
MAIN = "shell-main-content"
# Dash's own page container and the store its router writes the page's title into.
PAGE_CONTENT = "_pages_content"
PAGE_STORE = "_pages_store"
# Dash's own clientside callback that sets the page title from that store.
PAGE_DUMMY = "_pages_dummy"
# The phone's menu button and what it opens (the menu and the search fields; assets/shell.js).
MENU_TOGGLE = "shell-menu-toggle"
MENU = "shell-menu"
SEARCH = "shell-search"
