"""An nbgrader preprocessor for feedback: errors in graded cells without their tracebacks.

IPython tracebacks quote the lines around the failing call, which in a graded
cell are the hidden tests. Feedback keeps the error's type and message (the
grader's explanation) and drops the quoted source.
"""
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade


class SummariseGradedErrors(NbGraderPreprocessor):
    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and is_grade(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
