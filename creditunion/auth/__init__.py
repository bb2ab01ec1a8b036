"""Staff users and member logins, roles and permissions, tokens' server-side state."""
