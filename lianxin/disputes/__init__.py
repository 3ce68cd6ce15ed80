"""D7: screening campaigns, the dispute register and its handling, incidents, patrols, care of special groups."""
