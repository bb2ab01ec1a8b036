"""What every part of the application stands on: settings, the database, logging, metrics."""
