"""Main-menu sections of this module: (url name, label, action or predicate), as in
lianxin.web.navigation.SECTIONS."""

SECTIONS: list = []
