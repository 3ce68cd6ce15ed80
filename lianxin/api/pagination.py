"""Page-number pagination of /api/v1/ lists: ?page=N and ?page_size=N (at most MAX_PAGE_SIZE)."""

from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200
