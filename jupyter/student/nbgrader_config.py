# nbgrader's settings in a student's JupyterLab (`make lab` puts jupyter/student/ on JUPYTER_CONFIG_PATH).
# Students only validate notebooks and see the assignment list; the course is mlplab.
c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.course_id = "mlplab"
