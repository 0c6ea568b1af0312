"""nbgrader's settings shared by every account on the course machine (students and instructors).

Install as ``/etc/jupyter/nbgrader_config.py``. Students' ``nbgrader fetch_assignment`` /
``submit`` / ``fetch_feedback`` (and the Assignments tab of JupyterLab) read it; so do the
instructor's ``nbgrader release_assignment`` / ``collect`` / ``release_feedback``. The
course folder's own settings (the trusted grading chain) live in the course folder.

    MLPLAB_EXCHANGE   the exchange folder, on a disk every account can reach [/srv/nbgrader/exchange]
    MLPLAB_STUDENT    the student's hub user name (set by jupyterhub_config.py)
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "mlplab"
c.Exchange.root = os.environ.get("MLPLAB_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.timezone = "UTC"
# Set by the hub in students' servers: submissions and feedback go under the hub's user name,
# also when the server does not run as the student's own Unix account.
if os.environ.get("MLPLAB_STUDENT"):
    c.CourseDirectory.student_id = os.environ["MLPLAB_STUDENT"]
