"""A companion asked to run at idle priority: Linux's ``SCHED_IDLE`` where it is
allowed, else the lowest nice value. Each case runs in a process of its own, as
a process cannot raise its priority back."""

import os
import subprocess
import sys

IDLE_PRIORITY = """
import os
from shippy_common import runner
{refuse}
runner._to_idle_priority()
print(os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0))
"""
REFUSED = """
def refused(*args):
    raise PermissionError(1, "Operation not permitted")
os.sched_setscheduler = refused
"""


def policy_and_nice(refuse: str = "") -> tuple[int, int]:
    script = IDLE_PRIORITY.format(refuse=refuse)
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    policy, nice = output.split()
    return int(policy), int(nice)


def test_a_process_at_idle_priority_is_scheduled_idle():
    assert policy_and_nice()[0] == os.SCHED_IDLE


def test_where_the_idle_policy_is_refused_it_takes_the_lowest_nice_value():
    policy, nice = policy_and_nice(REFUSED)
    assert policy == os.SCHED_OTHER
    assert nice == 19
