"""The error a questionnaire command reports to the person running it."""

from __future__ import annotations


class QuestionnaireError(Exception):
    """A problem with a buyer's file or a command's options, stated so the reader knows what to do next."""
