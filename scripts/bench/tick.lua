-- wrk script: one EmailOpened event per request, RATE requests per second
-- per connection (a delay between requests), each a new profile.
function init(args)
  counter = 0
  pause = 1000 / tonumber(os.getenv("RATE") or "100")
end

function delay()
  return pause
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/events", {["Content-Type"] = "application/json"},
    string.format('{"event":"EmailOpened","payload":{"email":"tick%d@example.com","campaign":"c"}}', counter))
end
