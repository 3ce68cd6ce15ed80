def navigation_for(user, path): return []
