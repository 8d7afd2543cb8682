-- Strict REST requests at the edge (envoy.yaml's paygate.filters.http.strict_json), before the JSON
-- transcoder sees them.
--
-- The transcoder (grpc-httpjson-transcoding) is lenient where a payment API must not be: it drops
-- JSON keys it does not know, lets the last of two equal keys win, passes NUL characters on, reads
-- a GET's body as the request, and binds any query parameter that names a request field, so
-- `?name=` or `?parent=` overrides the resource in the path. This refuses all of that with a 400
-- google.rpc.Status, using CONTRACT (generated from proto/ by the build and prepended to this
-- file): every google.api.http binding and the JSON keys of every message a body can contain.
--
-- It must pick the binding exactly as the transcoder's path matcher does, or a request could be
-- transcoded unchecked; request_parts() and find_binding() mirror path_matcher.h, and gRPC is
-- recognised exactly as Envoy's Grpc::Common::hasGrpcContentType does.

local byte, char, find, sub, concat = string.byte, string.char, string.find, string.sub, table.concat

local MAX_DEPTH = 32  -- nesting deeper than any message of the contract is refused
local MAX_ECHO = 100  -- bytes of a client's key or parameter name repeated in an error

-- Envoy's notion of gRPC: content-type exactly "application/grpc" or "application/grpc+...".
-- "application/grpc-web", "application/grpcfoo" or "Application/grpc" are not gRPC, and the
-- transcoder transcodes them as JSON.
local function is_grpc(content_type)
  return content_type == "application/grpc" or sub(content_type, 1, 17) == "application/grpc+"
end

-- A refusal unwinds the walk as an error value; anything else raised is a bug.
local Refusal = {}
local function refuse(reason, field, message)
  error(setmetatable({reason = reason, field = field, message = message}, Refusal), 0)
end

-- --- which operation: as path_matcher.h's ExtractRequestParts and PathMatcherNode::LookupPath

-- Bindings by method, verb and segment count: a request is compared with these only.
local CANDIDATES = {}
for _, binding in ipairs(CONTRACT.bindings) do
  local key = binding.method .. " " .. binding.verb .. " " .. #binding.segments
  CANDIDATES[key] = CANDIDATES[key] or {}
  table.insert(CANDIDATES[key], binding)
end

-- Splits ":path" into the segments, the custom verb (only a verb some binding uses, after the last
-- "/") and the query string; trailing empty segments are dropped ("/v1/accounts/" is "/v1/accounts").
local function request_parts(path)
  local query = ""
  local q = find(path, "?", 1, true)
  if q then
    query = sub(path, q + 1)
    path = sub(path, 1, q - 1)
  end
  local verb = ""
  local colon = find(path, ":", 1, true)
  if colon then
    local next_colon = find(path, ":", colon + 1, true)
    while next_colon do
      colon = next_colon
      next_colon = find(path, ":", colon + 1, true)
    end
    if not find(path, "/", colon + 1, true) and CONTRACT.verbs[sub(path, colon + 1)] then
      verb = sub(path, colon + 1)
      path = sub(path, 1, colon - 1)
    end
  end
  local parts, start, n = {}, 2, 0
  local last = #path + 1
  while start <= last do
    local s = find(path, "/", start, true) or last
    n = n + 1
    parts[n] = sub(path, start, s - 1)
    start = s + 1
  end
  while n > 0 and parts[n] == "" do
    parts[n] = nil
    n = n - 1
  end
  return parts, verb, query
end

local function matches(binding, parts)
  for i, segment in ipairs(binding.segments) do
    if segment ~= "*" and segment ~= parts[i] then
      return false
    end
  end
  return true
end

-- Where several bindings match, the matcher's trie prefers a literal segment to "*" at the first
-- place they differ.
local function more_literal(a, b)
  for i, segment in ipairs(a.segments) do
    if segment ~= b.segments[i] then
      return b.segments[i] == "*"
    end
  end
  return false
end

local function find_binding(method, path)
  local parts, verb, query = request_parts(path)
  local candidates = CANDIDATES[method .. " " .. verb .. " " .. #parts]
  if candidates == nil then
    return nil
  end
  local best
  for _, binding in ipairs(candidates) do
    if matches(binding, parts) and (best == nil or more_literal(binding, best)) then
      best = binding
    end
  end
  return best, query
end

-- The methods some binding serves at this path, for a 405's Allow ("" when the path has none).
local METHODS, seen_method = {}, {}
for _, binding in ipairs(CONTRACT.bindings) do
  if not seen_method[binding.method] then
    seen_method[binding.method] = true
    table.insert(METHODS, binding.method)
  end
end
table.sort(METHODS)

local function allowed_methods(path)
  local allowed = {}
  for _, method in ipairs(METHODS) do
    if find_binding(method, path) then
      table.insert(allowed, method)
    end
  end
  return concat(allowed, ", ")
end

-- --- query parameters: only those the binding documents, each once

local function echo(text)
  text = sub(text, 1, MAX_ECHO)
  return (text:gsub("[^%w%-%._~%%%[%]*]", "?"))
end

-- A query value as the transcoder reads it: "+" is a space, %XX a byte.
local function unescape(value)
  return (value:gsub("%+", " "):gsub("%%(%x%x)", function(hex) return char(tonumber(hex, 16)) end))
end

local function check_query(binding, query)
  local seen = {}
  for piece in query:gmatch("[^&]+") do
    local equals = find(piece, "=", 1, true)
    local name = equals and sub(piece, 1, equals - 1) or piece
    local parameter = binding.query[name]
    if parameter == nil then
      refuse("UNKNOWN_QUERY_PARAMETER", echo(name), "Query parameter \"" .. echo(name)
        .. "\" is not accepted by this operation (accepted: " .. binding.documented .. ").")
    end
    if seen[parameter.slot] and not parameter.repeated then
      refuse("DUPLICATE_QUERY_PARAMETER", echo(name), "Query parameter \"" .. echo(name)
        .. "\" sets " .. parameter.slot .. " a second time.")
    end
    -- The service reads an empty request_id as "no key": a client that sent one meant the write
    -- to be safe to repeat, and it would not be. Refused, as an empty Idempotency-Key is.
    if parameter.slot == "request_id" and not find(unescape(equals and sub(piece, equals + 1) or ""), "%S") then
      refuse("EMPTY_REQUEST_ID", "request_id", "Query parameter \"" .. echo(name) .. "\" is empty or blank: "
        .. "send a unique key (a UUID) to make this write safe to repeat, or leave it out.")
    end
    seen[parameter.slot] = true
  end
end

-- --- the JSON body: strict RFC 8259, keys decoded, each key defined by the contract and given once

local ESCAPES = {[34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [102] = "\f", [110] = "\n", [114] = "\r", [116] = "\t"}

local function utf8(code)
  if code < 0x80 then return char(code) end
  if code < 0x800 then return char(0xC0 + math.floor(code / 0x40), 0x80 + code % 0x40) end
  if code < 0x10000 then
    return char(0xE0 + math.floor(code / 0x1000), 0x80 + math.floor(code / 0x40) % 0x40, 0x80 + code % 0x40)
  end
  return char(0xF0 + math.floor(code / 0x40000), 0x80 + math.floor(code / 0x1000) % 0x40,
    0x80 + math.floor(code / 0x40) % 0x40, 0x80 + code % 0x40)
end

-- The body being checked. A worker's Lua state runs one check at a time (a check never yields),
-- so the parser keeps its position here instead of in closures made per request.
local text, pos, len = "", 1, 0

local function malformed(what)
  refuse("MALFORMED_REQUEST", nil, "The request body is not valid JSON: " .. what .. " at byte " .. pos .. ".")
end

local function skip_space()
  local c = byte(text, pos)
  if c == 32 or c == 10 or c == 13 or c == 9 then
    pos = find(text, "[^ \t\r\n]", pos) or len + 1
  end
end

local function hex4(at)
  local digits = sub(text, at, at + 3)
  if not find(digits, "^%x%x%x%x$") then
    malformed("a \\u escape needs four hex digits")
  end
  return tonumber(digits, 16)
end

local function nul(field)
  refuse("INVALID_CHARACTER", field, "\"" .. field .. "\" contains a NUL character (\\u0000).")
end

-- Reads the string at pos (a '"'); returns it with escapes decoded. `field` names it in errors.
local function read_string(field)
  local start = pos + 1
  local stop = find(text, '[%z\1-\31"\\]', start)
  if stop and byte(text, stop) == 34 then  -- the common case: no escapes
    pos = stop + 1
    return sub(text, start, stop - 1)
  end
  local chunks, n = {}, 0
  while true do
    if not stop then
      malformed("unterminated string")
    end
    local c = byte(text, stop)
    n = n + 1
    chunks[n] = sub(text, start, stop - 1)
    if c == 34 then
      pos = stop + 1
      return concat(chunks)
    elseif c == 92 then
      local e = byte(text, stop + 1)
      if e == 117 then  -- \uXXXX, a surrogate pair for code points above U+FFFF
        local code = hex4(stop + 2)
        start = stop + 6
        if code >= 0xD800 and code <= 0xDBFF and sub(text, start, start + 1) == "\\u" then
          local low = hex4(start + 2)
          if low < 0xDC00 or low > 0xDFFF then
            malformed("a surrogate pair needs a low surrogate")
          end
          code = 0x10000 + (code - 0xD800) * 0x400 + (low - 0xDC00)
          start = start + 6
        elseif code >= 0xD800 and code <= 0xDFFF then
          malformed("an unpaired surrogate")
        end
        if code == 0 then nul(field) end
        n = n + 1
        chunks[n] = utf8(code)
      elseif ESCAPES[e] then
        n = n + 1
        chunks[n] = ESCAPES[e]
        start = stop + 2
      else
        malformed("an invalid escape")
      end
    elseif c == 0 then
      nul(field)
    else
      malformed("a control character inside a string")
    end
    stop = find(text, '[%z\1-\31"\\]', start)
  end
end

local function number()
  if byte(text, pos) == 45 then pos = pos + 1 end  -- '-'
  local c = byte(text, pos)
  if c == 48 then
    pos = pos + 1
  elseif c and c >= 49 and c <= 57 then
    local _, stop = find(text, "^%d*", pos + 1)
    pos = stop + 1
  else
    malformed("a bad number")
  end
  if byte(text, pos) == 46 then  -- '.'
    local _, stop = find(text, "^%d+", pos + 1)
    if not stop then malformed("a bad fraction") end
    pos = stop + 1
  end
  c = byte(text, pos)
  if c == 101 or c == 69 then  -- 'e' / 'E'
    pos = pos + 1
    c = byte(text, pos)
    if c == 43 or c == 45 then pos = pos + 1 end
    local _, stop = find(text, "^%d+", pos)
    if not stop then malformed("a bad exponent") end
    pos = stop + 1
  end
end

local value

-- An object. With a message, every key must be one of its fields (proto or json name) and set
-- its field once (a oneof once for all its members); without one (a map, a well-known type),
-- any key, but each once. A map's values are checked against `values`, its value message.
local function object(message, path, depth, values)
  if depth > MAX_DEPTH then malformed("nesting deeper than " .. MAX_DEPTH) end
  pos = pos + 1
  local fields = message and CONTRACT.messages[message]
  local seen = {}
  skip_space()
  if byte(text, pos) == 125 then
    pos = pos + 1
    return
  end
  while true do
    skip_space()
    if byte(text, pos) ~= 34 then malformed("a key must be a string") end
    local key = read_string(path == "" and "*" or sub(path, 1, -2))
    local spec, slot = nil, key
    if fields then
      spec = fields[key]
      if spec == nil then
        local where = path .. echo(key)
        refuse("UNKNOWN_FIELD", where, "\"" .. where .. "\" is not a field of " .. message .. ".")
      end
      slot = spec.slot
    end
    if seen[slot] then
      local where = path .. echo(key)
      refuse("DUPLICATE_FIELD", where, "\"" .. where .. "\" is set twice"
        .. (spec and spec.oneof and " (another member of oneof " .. slot .. " is already set)." or "."))
    end
    seen[slot] = true
    skip_space()
    if byte(text, pos) ~= 58 then malformed("':' expected") end
    pos = pos + 1
    local where = path .. (fields and key or echo(key)) .. "."
    if spec then
      if spec.map then
        value(nil, where, depth + 1, spec.message)
      else
        value(spec.message, where, depth + 1, nil)
      end
    else
      value(values, where, depth + 1, nil)
    end
    skip_space()
    local c = byte(text, pos)
    pos = pos + 1
    if c == 125 then return end
    if c ~= 44 then malformed("',' or '}' expected") end
  end
end

local function array(message, path, depth)
  if depth > MAX_DEPTH then malformed("nesting deeper than " .. MAX_DEPTH) end
  pos = pos + 1
  skip_space()
  if byte(text, pos) == 93 then
    pos = pos + 1
    return
  end
  while true do
    value(message, path, depth + 1, nil)
    skip_space()
    local c = byte(text, pos)
    pos = pos + 1
    if c == 93 then return end
    if c ~= 44 then malformed("',' or ']' expected") end
  end
end

value = function(message, path, depth, values)
  skip_space()
  local c = byte(text, pos)
  if c == 123 then
    object(message, path, depth, values)
  elseif c == 91 then
    array(message, path, depth)
  elseif c == 34 then
    read_string(sub(path, 1, -2))
  elseif c == 116 and sub(text, pos, pos + 3) == "true" then
    pos = pos + 4
  elseif c == 102 and sub(text, pos, pos + 4) == "false" then
    pos = pos + 5
  elseif c == 110 and sub(text, pos, pos + 3) == "null" then
    pos = pos + 4
  else
    number()
  end
end

-- Checks one JSON document: strict RFC 8259, an object when the body is a message.
local function check_json(body, message, prefix)
  text, pos, len = body, 1, #body
  skip_space()
  if pos > len then
    return  -- no body: nothing to check
  end
  if message and byte(text, pos) ~= 123 then
    malformed("the body must be a JSON object")
  end
  value(message, prefix, 0, nil)
  skip_space()
  if pos <= len then
    malformed("data after the JSON value")
  end
end

-- Checks the body the binding maps (or that there is none, for a binding without a body).
local function check_body(binding, text)
  if binding.body == "" then
    if find(text, "[^ \t\r\n]") then
      refuse("UNEXPECTED_BODY", "*", "This operation takes no request body; send its parameters in the path and query.")
    end
    return
  end
  check_json(text, binding.message, binding.body == "*" and "" or binding.body .. ".")
end

-- --- the reply: the same JSON google.rpc.Status (AIP-193) as every other error of the edge

local function json_string(text)
  return '"' .. text:gsub('[%c"\\\128-\255]', function(c)
    if c == '"' or c == "\\" then return "\\" .. c end
    if byte(c) < 32 or byte(c) == 127 then return string.format("\\u%04x", byte(c)) end
    return "?"
  end) .. '"'
end

local function status_json(code, refusal)
  local details = '{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":' .. json_string(refusal.reason)
    .. ',"domain":"paygate.dev"}'
  if refusal.field then
    details = details .. ',{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":'
      .. json_string(refusal.field) .. ',"description":' .. json_string(refusal.message) .. '}]}'
  end
  return '{"code":' .. code .. ',"message":' .. json_string(refusal.message) .. ',"details":[' .. details .. ']}'
end

local function reply(handle, status, code, refusal, allow)
  -- The local_reply_config mapper for this metadata keeps the body as written here.
  handle:streamInfo():dynamicMetadata():set("paygate.strict_json", "refused", true)
  handle:respond({[":status"] = tostring(status), ["content-type"] = "application/json", ["allow"] = allow},
    status_json(code, refusal))
end

-- Runs a check; returns the refusal it raised, or nil. A bug is reported, never waved through.
local function run(handle, check, ...)
  local ok, raised = pcall(check, ...)
  if ok then return nil end
  if getmetatable(raised) == Refusal then return raised end
  handle:logErr("strict_json: " .. tostring(raised))
  return {reason = "EDGE_CHECK_FAILED", message = "The edge could not check this request.", internal = true}
end

function envoy_on_request(handle)
  if handle:streamInfo():dynamicMetadata():get("paygate.body_cap") ~= nil then
    -- body_cap.lua dropped the end of a body over the cap; now that all of it is in, a 413 (its
    -- JSON body comes from local_reply_config, as for the buffer filter's own 413)
    handle:respond({[":status"] = "413"}, "")
    return
  end
  local headers = handle:headers()
  if is_grpc(headers:get("content-type") or "") then
    return  -- passed through as gRPC by the transcoder; only gRPC routes serve it
  end
  local path = headers:get(":path") or ""
  local binding, query = find_binding(headers:get(":method"), path)
  if binding == nil then
    local allow = allowed_methods(path)
    if allow ~= "" then  -- a resource of the API, asked with a method it does not serve (RFC 9110 15.5.6)
      reply(handle, 405, 12, {reason = "METHOD_NOT_ALLOWED", message = "This resource accepts " .. allow
        .. " only."}, allow)
    end
    return  -- otherwise bound to no operation: the transcoder answers 404
  end
  local refusal = query ~= "" and run(handle, check_query, binding, query) or nil
  if refusal == nil then
    local body = handle:body()  -- already whole: the buffer filter (1) ran first
    if body ~= nil and body:length() > 0 then
      refusal = run(handle, check_body, binding, body:getBytes(0, body:length()))
    end
  end
  if refusal ~= nil then
    if refusal.internal then
      reply(handle, 500, 13, refusal)
    else
      reply(handle, 400, 3, refusal)
    end
  end
end
