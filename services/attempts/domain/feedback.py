"""``auto_feedback``: a deterministic markdown explanation of a result, skill by skill.

Rules:

* A question counts toward each skill it is tagged with; untagged questions form the
  skill "general". Answers still awaiting a teacher are left out until graded.
* A skill's share is its points earned over its points possible.
* Strongest and weakest skills are named when there are at least two skills and their
  shares differ; ties go to the alphabetically first skill.
* "What to review" lists the skills whose share is below the quiz's passing score,
  weakest first. Only when the quiz allows review does it also quote the questions
  missed, so feedback never reveals more than the review rule allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from .attempt_scoring import AttemptScore
from .quizzes import Quiz
from .rounding import round_points, round_score

UNTAGGED_SKILL = "general"
PROMPT_EXCERPT_LENGTH = 80


@dataclass(frozen=True)
class SkillResult:
    """Points earned on the graded questions of one skill; ``missed`` are not fully right."""

    skill: str
    points_earned: float
    points_possible: float
    missed_question_ids: tuple[str, ...]

    @property
    def share(self) -> float:
        return self.points_earned / self.points_possible


def skill_breakdown(quiz: Quiz, score: AttemptScore) -> tuple[SkillResult, ...]:
    """Per skill (alphabetical), the points earned on its graded questions."""
    earned: dict[str, float] = {}
    possible: dict[str, float] = {}
    missed: dict[str, list[str]] = {}
    for result in score.results:
        if result.pending:
            continue
        for skill in quiz.question(result.question_id).tags or (UNTAGGED_SKILL,):
            earned[skill] = earned.get(skill, 0.0) + result.points_earned
            possible[skill] = possible.get(skill, 0.0) + result.points_possible
            missed.setdefault(skill, [])
            if not result.is_correct:
                missed[skill].append(result.question_id)
    return tuple(
        SkillResult(
            skill, round_points(earned[skill]), round_points(possible[skill]), tuple(missed[skill])
        )
        for skill in sorted(possible)
    )


def auto_feedback(quiz: Quiz, score: AttemptScore) -> str:
    """The markdown feedback for ``score`` on ``quiz`` (see the module for the rules)."""
    skills = skill_breakdown(quiz, score)
    lines = [_headline(score)]
    for note in _notes(score):
        lines += ["", note]
    lines += ["", "### By skill"]
    lines += [
        f"- {s.skill}: {_number(s.points_earned)} of {_number(s.points_possible)} points "
        f"({_percent(s.share)})"
        for s in skills
    ]
    if len(skills) >= 2 and len({s.share for s in skills}) > 1:
        strongest = min(skills, key=lambda s: (-s.share, s.skill))
        weakest = min(skills, key=lambda s: (s.share, s.skill))
        lines += [
            "",
            f"**Strongest skill:** {strongest.skill} ({_percent(strongest.share)}). "
            f"**Weakest skill:** {weakest.skill} ({_percent(weakest.share)}).",
        ]
    lines += ["", "### What to review", *_review_lines(quiz, skills)]
    return "\n".join(lines) + "\n"


def _headline(score: AttemptScore) -> str:
    points = f"{_number(score.points_earned)} of {_number(score.points_possible)} points"
    passing = f"the passing score is {_number(score.passing_score)}%"
    if score.passed is None:
        verdict = f"Not final yet: {passing}."
    elif score.passed:
        verdict = f"Passed: {passing}."
    else:
        verdict = f"Not passed: {passing}."
    return f"**Score: {_number(score.score)}%** ({points}). {verdict}"


def _notes(score: AttemptScore) -> list[str]:
    notes: list[str] = []
    pending = sum(1 for result in score.results if result.pending)
    if pending:
        notes.append(
            f"{pending} answer(s) await teacher grading; they count as 0 until graded "
            "and are left out of the skills below."
        )
    if score.time_limit_exceeded:
        notes.append("The time limit ran out; answers given after it did not count.")
    return notes


def _review_lines(quiz: Quiz, skills: tuple[SkillResult, ...]) -> list[str]:
    weak = sorted(
        (s for s in skills if s.share * 100 < quiz.passing_score), key=lambda s: (s.share, s.skill)
    )
    if not weak:
        return ["Nothing to review: every skill reached the passing score."]
    lines = []
    for skill in weak:
        lines.append(f"- {skill.skill} ({_percent(skill.share)})")
        if quiz.allow_review:
            lines += [
                f"  - {_excerpt(quiz.question(question_id).prompt)}"
                for question_id in skill.missed_question_ids
            ]
    return lines


def _excerpt(prompt: str) -> str:
    text = " ".join(prompt.split())
    if len(text) <= PROMPT_EXCERPT_LENGTH:
        return text
    return text[: PROMPT_EXCERPT_LENGTH - 1].rstrip() + "…"


def _number(value: float) -> str:
    text = f"{round_points(value):.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _percent(share: float) -> str:
    return f"{_number(round_score(share * 100))}%"
