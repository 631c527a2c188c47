"""webapp.pagination.Page: the one shape of a page for the pagination macro. No app."""

from webapp.pagination import Page


def test_a_page_knows_its_neighbours_and_count():
    first = Page(items=[1, 2], page=1, per_page=2, total=5, args={"days": 30, "q": ""})
    assert (first.pages, first.has_prev, first.has_next) == (3, False, True)
    assert (first.prev_num, first.next_num) == (None, 2)
    assert first.query_args == {"days": 30}  # empty filters are left out of the links
    last = Page(items=[5], page=3, per_page=2, total=5)
    assert (last.has_prev, last.has_next, last.prev_num, last.next_num) == (True, False, 2, None)


def test_an_empty_list_has_one_page():
    empty = Page(items=[], page=1, per_page=20, total=0)
    assert (empty.pages, empty.has_prev, empty.has_next) == (1, False, False)
