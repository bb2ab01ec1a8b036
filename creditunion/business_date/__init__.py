"""The credit union's business date: one stored date, moved only by close of business."""
