"""Pure rules of the reports service: grading scales, trends, report content. No I/O."""
