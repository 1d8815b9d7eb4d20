"""The captive portal: guests, their one-time codes and RADIUS rows, the login
pages a MikroTik hotspot sends its clients to, the walled garden and the
guests' sessions."""
