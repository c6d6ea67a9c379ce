"""What one student has done in one course, and when an outline item counts as done.

``CourseWork`` holds the stored entries keyed by item id. It is kept apart from the
outline on purpose: entries of items that left the outline stay (and are ignored),
items that joined it simply have no entry yet.

An item is done when:

* a lesson has a completion entry;
* a quiz is passed (attempted-but-failed is not done: the student still has to pass it);
* an assignment has been submitted, whatever its status (the student's part is done;
  whether its grade meets the course's bar is a completion criterion, not progress).

``final_result`` is the institution's verdict on the enrollment, when one is recorded:
it decides completion (``criteria.evaluate_completion``), not which items are done.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .assignments import AssignmentEntry
from .final_results import FinalResult
from .lessons import LessonCompletion
from .outline import ItemKind, OutlineItem
from .quizzes import QuizResult


@dataclass(frozen=True)
class CourseWork:
    lessons: Mapping[str, LessonCompletion] = field(default_factory=dict)
    quizzes: Mapping[str, QuizResult] = field(default_factory=dict)
    assignments: Mapping[str, AssignmentEntry] = field(default_factory=dict)
    final_result: FinalResult | None = None

    @classmethod
    def of(
        cls,
        lessons: Iterable[LessonCompletion] = (),
        quizzes: Iterable[QuizResult] = (),
        assignments: Iterable[AssignmentEntry] = (),
    ) -> CourseWork:
        """Build from entry lists, as they are stored, keying each by its item id."""
        return cls(
            lessons={entry.lesson_id: entry for entry in lessons},
            quizzes={entry.quiz_id: entry for entry in quizzes},
            assignments={entry.assignment_id: entry for entry in assignments},
        )

    @property
    def is_empty(self) -> bool:
        """True while nothing at all was recorded: no lesson, quiz or assignment entry."""
        return not (self.lessons or self.quizzes or self.assignments)

    def is_done(self, item: OutlineItem) -> bool:
        if item.kind is ItemKind.LESSON:
            return item.item_id in self.lessons
        if item.kind is ItemKind.QUIZ:
            quiz = self.quizzes.get(item.item_id)
            return quiz is not None and quiz.passed
        return item.item_id in self.assignments

    def score_of(self, item: OutlineItem) -> float | None:
        """A quiz's best score or an assignment's grade; None for lessons and missing scores."""
        if item.kind is ItemKind.QUIZ:
            quiz = self.quizzes.get(item.item_id)
            return quiz.best_score if quiz else None
        if item.kind is ItemKind.ASSIGNMENT:
            assignment = self.assignments.get(item.item_id)
            return assignment.grade if assignment else None
        return None
