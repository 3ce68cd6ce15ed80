"""D11 共驻共建: resident units and agreements, paired leaders, facilities and bookings, funds ledgers, volunteers."""
