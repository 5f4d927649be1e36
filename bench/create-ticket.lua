-- wrk: every request files a new ticket as the token's user (no Idempotency-Key).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CLAIMDESK_TOKEN")
wrk.body = '{"desk":"vendor","ticket_type":"claim_issue","module":"Claims","subject":"Claim will not save",'
  .. '"description":"Saving claim CMS # 1001 fails with error E-17.","priority":"high",'
  .. '"claim_numbers":"CMS # 1001; 1002","contact":{"name":"Olga Owner","email":"owner@acme.test","phone":"555-0100"}}'
