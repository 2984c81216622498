-- wrk request script for gmb-service: uniform ids over twice the cache
-- capacity, so about half the requests miss and insert (the cache stays
-- full and evicts).
local ids = tonumber(os.getenv("GMB_IDS") or "20000")
math.randomseed(20261123)
request = function()
	return wrk.format("GET", "/item?id=" .. math.random(1, ids))
end
