from app.ids import looks_like_id, new_id


def test_ids_are_unique_cuids_that_sort_by_creation_time() -> None:
    ids = [new_id() for _ in range(50_000)]

    assert all(looks_like_id(i) for i in ids)
    assert len(set(ids)) == len(ids)
    # The timestamp block leads: later ids never sort before earlier ones' milliseconds.
    assert [i[1:9] for i in ids] == sorted(i[1:9] for i in ids)
