local etag = nil
local levels = {"low", "medium", "high", "critical"}
local n = 0
request = function()
  if etag == nil then
    return wrk.format("GET", "/api/v1/cases/" .. id)
  end
  n = n + 1
  return wrk.format("PATCH", "/api/v1/cases/" .. id, {["Content-Type"] = "application/json", ["If-Match"] = etag, ["Authorization"] = "Bearer " .. os.getenv("TOKEN")},
    '{"risk_level":"' .. levels[(n % 4) + 1] .. '"}')
end
local shown = 0
response = function(status, headers, body)
  if status >= 300 and shown < 2 then shown = shown + 1; io.write(status .. " " .. body .. "\n") end
  etag = headers["etag"] or headers["ETag"]
end
