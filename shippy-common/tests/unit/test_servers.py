import logging

from shippy_common.servers import Server, wait_for


def test_waiting_retries_with_growing_capped_delays_and_logs_each_attempt(caplog):
    answers = iter([ConnectionRefusedError("refused")] * 6 + [None])

    def probe(url, timeout):
        answer = next(answers)
        if answer is not None:
            raise answer

    delays = []
    server = Server(name="MongoDB", url="mongodb://user:pw@db:27017/", probe=probe)
    with caplog.at_level(logging.INFO, logger="shippy_common.servers"):
        wait_for(server, first_delay=0.5, max_delay=4.0, sleep=delays.append)

    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    waiting = [r.getMessage() for r in caplog.records if "waiting for" in r.getMessage()]
    assert len(waiting) == 6
    assert "waiting for MongoDB at mongodb://user:***@db:27017/" in waiting[0]
    assert "ConnectionRefusedError: refused" in waiting[0]
    assert "answers" in caplog.records[-1].getMessage()
    assert all("pw@" not in r.getMessage() for r in caplog.records)
