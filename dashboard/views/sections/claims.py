"""A lesson's claims on screen: each sentence with its mark (holds / no longer holds /
ended as said / not yet due) and the number that decides it. The engine decides (engine.claims);
this module only draws."""
import streamlit as st

from dashboard import actions, session
from dashboard.session import get

HOLDS = ":green-badge[✓ holds]"
BROKEN = ":red-badge[✗ no longer holds]"
ENDED = ":gray-badge[■ ended, as said]"
PENDING = ":gray-badge[◌ not yet due]"


def status(result):
    """The mark of a ClaimResult: a coloured badge with words (not colour alone)."""
    if result.pending:
        return f":gray-badge[◌ from iteration {result.since:,}]"
    if result.holds:
        return HOLDS
    if result.ended:
        return f":gray-badge[■ ended after iteration {result.until:,}, as said]"
    return BROKEN


def line(result, with_view=True):
    """One claim as markdown: mark, sentence, and what was measured."""
    where = f"**{result.view}**: " if with_view else ""
    return (f"{status(result)} {where}{result.text} "
            f"<small>· measured: `{result.measured}`</small>")


def listing(results, with_view=True):
    st.markdown("\n".join(f"- {line(r, with_view)}" for r in results),
                unsafe_allow_html=True)


def lapses(ss):
    """Where the class can see it: the claims that stopped holding before the end they
    promised, and one click back to the lesson's start."""
    s = get(ss)
    if not s.lapses:
        return
    shown = "\n".join(f"- {BROKEN} {text} · stopped at iteration {it:,} (`{measured}`)"
                      for text, (it, measured) in s.lapses.items())
    with st.container(border=True):
        st.markdown(f"**{len(s.lapses)} of this lesson's sentences no longer "
                    f"hold{'s' if len(s.lapses) == 1 else ''}.** The model has moved on "
                    f"from what the lesson describes:\n{shown}")
        st.button("Back to the lesson's start", key="lesson_restart", type="primary",
                  on_click=actions.on_reset, icon=":material/restart_alt:",
                  help="Rebuild the lesson exactly as it opened (fresh weights, its "
                       "warm-up), so every sentence holds again.")


def for_view(ss, view):
    """The lesson's claims about ``view``, next to its charts."""
    s = get(ss)
    lesson = s.preset or s.comparison
    if lesson is None:
        return
    mine = [r for r in session.lesson_claims(ss) if r.view == view and r.source == "look for"]
    if mine:
        with st.container(border=True):
            st.markdown(f"**{'Lesson' if s.preset else 'Comparison'} '{lesson.name}': "
                        "look for** (measured now on the runs)")
            listing(mine, with_view=False)
