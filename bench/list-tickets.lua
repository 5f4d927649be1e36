-- wrk: the company's open tickets, first page, as the token's user.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CLAIMDESK_TOKEN")
