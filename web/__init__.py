"""Web pieces shared by the client channels and the agent desk (links, bodies, errors, headers)."""
