"""The Open University Learning Analytics Dataset on Stride: ``stride import oulad`` (the
importer, through the gateway's public API), ``stride oulad judge`` (the success model's
predictions on a later term) and ``stride oulad demo``. The README's "Real students"
section says how the dataset maps onto the platform and how to find a student again.
"""
