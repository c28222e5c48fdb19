"""Run reports: threshold tuning, Grad-CAM and attention maps, figures, report.html, run comparison."""
