-- Every change a script can make, with and without angle brackets.
-- run1: verdict - continue
-- run1: changes add_header X-Checked: yes
-- run1: changes insert_header 0 X-First: top
-- run1: changes change_header Subject 1 [SPAM] Lunch
-- run1: changes change_header X-Old 2 (delete)
-- run1: changes delete_header Received 1
-- run1: changes add_rcpt carol@example.net
-- run1: changes del_rcpt bob@example.net
-- run1: changes change_sender <> 
-- run1: changes change_sender <bounce@example.org> SIZE=100
-- run1: changes replace_body 13 new body text
-- run1: changes quarantine looks odd
-- run1: changes add_header X-Folded: a
-- run1: symbols SPAMMY(2.5):matched word SUBJ(1.0)
local pg = require "phasegate"
pg.on("eom", function(tx)
  tx:add_header("X-Checked", "yes")
  tx:insert_header(1, "X-First", "top")
  tx:change_header("Subject", "[SPAM] Lunch")
  tx:change_header("X-Old", nil, 2)
  tx:delete_header("Received")
  tx:add_rcpt("<carol@example.net>")
  tx:del_rcpt("bob@example.net")
  tx:change_sender("<>")
  tx:change_sender("bounce@example.org", "SIZE=100")
  tx:replace_body("new body text")
  tx:quarantine("looks odd")
  tx:add_header("X-Folded", "a\r\n\tb")
  tx:score(2.5, "SPAMMY", "matched word")
  tx:score(1, "SUBJ")
end)
