"""The shell's pages by area: shell (home, profile, sign-in, health), notifications, exports, webhooks."""
