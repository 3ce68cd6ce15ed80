"""D9 and D12: the disclosure board (党务/居务公开) with versions and fingerprints, the comment box, the resident portal's public pages."""
