"""Grading a class: many student repositories, at a deadline, isolated, into a gradebook."""
