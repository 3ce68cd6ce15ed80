"""D6 assistance and benefits (帮扶): programmes, cases, public notice, objections, relatives, payments, 一联一 pairing."""
