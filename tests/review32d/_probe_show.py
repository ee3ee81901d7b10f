"""probe helper (not committed)."""
from keel.patients.models import local_today
from keel.treatment.queries.take_home_plans import bottles_at_home, call_back


def show(world, plan, tag, am=None):
    plan.refresh_from_db()
    t = local_today(world.alice)
    print(f"--- {tag}: kind={plan.end_kind} ended={plan.ended_on} reason={plan.end_reason!r}")
    print("   earlier", {k: v for k, v in (plan.earlier_end or {}).items() if k not in ('end_reason','ended_at','ended_by')}, "tb", plan.bottles_taken_back, "mg", plan.bottle_mg, "ret", plan.returned_days)
    print("   home", {p: sorted(str(d) for d in v) for p, v in bottles_at_home(world.alice, t).items()}, "call", {p: sorted(str(d) for d in v) for p, v in call_back(world.alice, t).items()})
    if am is not None:
        print("   warn", [(r.text) for r in (am.warnings or ())])
