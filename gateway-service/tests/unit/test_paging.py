"""Pages over the caller's consignments."""

import pytest

from gateway_service.paging import decode_cursor, encode_cursor, page_of
from shippy_common.errors import ValidationError

ITEMS = [{"id": f"c{n}"} for n in range(5, 0, -1)]  # newest first


def ids(items):
    return [item["id"] for item in items]


def test_pages_follow_each_other_to_the_end():
    seen, cursor = [], None
    while True:
        page, cursor = page_of(ITEMS, 2, cursor)
        seen += ids(page)
        if cursor is None:
            break
    assert seen == ids(ITEMS)


def test_a_page_that_ends_the_list_has_no_next_cursor():
    assert page_of(ITEMS, 5, None) == (ITEMS, None)
    assert page_of([], 5, None) == ([], None)


def test_items_added_at_the_head_do_not_shift_later_pages():
    _, cursor = page_of(ITEMS, 2, None)
    later, _ = page_of([{"id": "c6"}, *ITEMS], 2, cursor)
    assert ids(later) == ["c3", "c2"]


@pytest.mark.parametrize("cursor", ["", "not-base64!", encode_cursor("unknown"), "YWJj", encode_cursor("c3") + "x"])
def test_a_cursor_not_from_this_list_is_a_validation_error(cursor):
    with pytest.raises(ValidationError) as refused:
        page_of(ITEMS, 2, cursor)
    assert refused.value.field == "cursor"


def test_a_cursor_is_opaque_and_round_trips():
    assert "c3" not in encode_cursor("c3")
    assert decode_cursor(encode_cursor("c3")) == "c3"
