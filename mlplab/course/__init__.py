"""The course machinery that ships with the library: not the student's code, not theirs to change.

* ``tasks``: every graded exercise, declared once;
* ``exercise_folder``: where the exercise modules (``mlplab.exercises``) are imported from;
* ``checks``: per task, inputs, a probe and a comparison; the self-check (``mlplab.check``);
* ``experiments``: the computations behind every claim a notebook makes.
"""
