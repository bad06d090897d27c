using System.Globalization;
using System.Text;

namespace LabelPlatform.Core.Crawling;

/// <summary>What robots.txt says about one URL, with the rule that decided it (kept as provenance).</summary>
public sealed record RobotsDecision(bool Allowed, string Reason);

/// <summary>
/// A robots.txt file per RFC 9309: groups of user-agent lines with Allow/Disallow rules; the groups naming our
/// product token (case-insensitive) are merged, else the "*" groups, else everything is allowed; the longest
/// matching rule wins and Allow wins a tie; "*" matches any run of characters and a final "$" anchors the end;
/// percent-encoding is compared in one canonical form; /robots.txt itself is always allowed. Crawl-delay (not in
/// the RFC, widely used) is read from the chosen group.
/// </summary>
public sealed class RobotsTxt
{
    private sealed record Rule(bool Allow, string Pattern, string Original, int Line);

    private sealed class Group
    {
        public List<string> Agents { get; } = [];
        public List<Rule> Rules { get; } = [];
        public double? CrawlDelay { get; set; }
    }

    private readonly List<Group> _groups;
    private readonly string? _wholeFile;

    private RobotsTxt(List<Group> groups, string? wholeFile)
    {
        _groups = groups;
        _wholeFile = wholeFile;
    }

    /// <summary>No robots.txt (a 4xx, or too many redirects): everything is allowed.</summary>
    public static RobotsTxt AllowAll(string why) => new([], "allow:" + why);

    /// <summary>robots.txt unreachable (5xx, network error): nothing is allowed.</summary>
    public static RobotsTxt DisallowAll(string why) => new([], "disallow:" + why);

    public static RobotsTxt Parse(string content)
    {
        var groups = new List<Group>();
        Group? current = null;
        var lastWasAgent = false;
        var lineNumber = 0;
        // A UTF-8 byte-order mark would glue itself to the first key ("\uFEFFuser-agent") and drop the first group.
        foreach (var rawLine in content.TrimStart('\uFEFF').ReplaceLineEndings("\n").Split('\n'))
        {
            lineNumber++;
            var line = rawLine;
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash];
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var key = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "user-agent":
                    // Consecutive user-agent lines share one group; a user-agent after a rule starts the next group.
                    if (current is null || !lastWasAgent)
                    {
                        current = new Group();
                        groups.Add(current);
                    }

                    current.Agents.Add(value);
                    lastWasAgent = true;
                    continue;
                case "allow" or "disallow" when current is not null:
                    // An empty value is no rule ("Disallow:" allows everything).
                    if (value.Length > 0)
                    {
                        current.Rules.Add(new Rule(key == "allow", CanonicalPattern(value), value, lineNumber));
                    }

                    break;
                case "crawl-delay" when current is not null:
                    if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && double.IsFinite(seconds))
                    {
                        current.CrawlDelay = seconds;
                    }

                    break;
            }

            lastWasAgent = false;
        }

        return new RobotsTxt(groups, null);
    }

    /// <summary>Decides for <paramref name="pathAndQuery"/> (the URL's path and query, as sent in the request line).</summary>
    public RobotsDecision Check(string productToken, string pathAndQuery)
    {
        if (_wholeFile is { } whole)
        {
            var allow = whole.StartsWith("allow:", StringComparison.Ordinal);
            return new RobotsDecision(allow, whole[(whole.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        }

        var path = CanonicalPath(string.IsNullOrEmpty(pathAndQuery) ? "/" : pathAndQuery);
        if (path == "/robots.txt")
        {
            return new RobotsDecision(true, "robots.txt itself is always allowed");
        }

        var (rules, agent) = RulesFor(productToken);
        if (agent is null)
        {
            return new RobotsDecision(true, "robots.txt has no group for this crawler or '*'");
        }

        Rule? best = null;
        foreach (var rule in rules)
        {
            if (!Matches(rule.Pattern, path))
            {
                continue;
            }

            if (best is null || rule.Pattern.Length > best.Pattern.Length || (rule.Pattern.Length == best.Pattern.Length && rule.Allow && !best.Allow))
            {
                best = rule;
            }
        }

        return best is null
            ? new RobotsDecision(true, $"robots.txt: no rule for user-agent {agent} matches")
            : new RobotsDecision(best.Allow, $"robots.txt line {best.Line}: {(best.Allow ? "Allow" : "Disallow")}: {best.Original} (user-agent {agent})");
    }

    public TimeSpan? CrawlDelay(string productToken)
    {
        var groups = Chosen(productToken);
        var delay = groups.Select(g => g.CrawlDelay).Where(d => d is not null).Max();
        return delay is { } seconds ? TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.MaxValue.TotalSeconds / 2)) : null;
    }

    private (IEnumerable<Rule> Rules, string? Agent) RulesFor(string productToken)
    {
        var groups = Chosen(productToken);
        return groups.Count == 0 ? ([], null) : (groups.SelectMany(g => g.Rules), groups[0].Agents.Any(a => AgentMatches(a, productToken)) ? productToken : "*");
    }

    private List<Group> Chosen(string productToken)
    {
        var own = _groups.Where(g => g.Agents.Any(a => AgentMatches(a, productToken))).ToList();
        return own.Count > 0 ? own : [.. _groups.Where(g => g.Agents.Any(a => a == "*"))];
    }

    /// <summary>"LabelPlatformBot", "labelplatformbot" and "LabelPlatformBot/1.0" name our product token.</summary>
    private static bool AgentMatches(string agent, string productToken)
    {
        var token = agent.Split('/', ' ')[0];
        return token.Length > 0 && token != "*" && string.Equals(token, productToken, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Glob match anchored at the start: "*" is any run of characters, a final "$" anchors the end.</summary>
    internal static bool Matches(string pattern, string path)
    {
        var anchored = pattern.EndsWith('$');
        if (anchored)
        {
            pattern = pattern[..^1];
        }

        var parts = pattern.Split('*');
        if (!path.StartsWith(parts[0], StringComparison.Ordinal))
        {
            return false;
        }

        var position = parts[0].Length;
        if (parts.Length == 1)
        {
            return !anchored || position == path.Length;
        }

        // Leftmost matches for the middle pieces leave the most room for the rest, so no backtracking is needed.
        for (var i = 1; i < parts.Length - 1; i++)
        {
            var found = path.IndexOf(parts[i], position, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            position = found + parts[i].Length;
        }

        var last = parts[^1];
        return anchored
            ? path.Length - last.Length >= position && path.EndsWith(last, StringComparison.Ordinal)
            : path.IndexOf(last, position, StringComparison.Ordinal) >= 0;
    }

    /// <summary>A rule's pattern in canonical percent-encoding; its "*" and "$" stay special.</summary>
    internal static string CanonicalPattern(string pattern) => Canonical(pattern, escapeSpecials: false);

    /// <summary>A URL path in canonical percent-encoding; a literal "*" or "$" in it only matches %2A or %24 in a rule.</summary>
    internal static string CanonicalPath(string path) => Canonical(path.StartsWith('/') ? path : "/" + path, escapeSpecials: true);

    /// <summary>Unreserved characters decoded, everything else non-ASCII or escaped as upper-case %XX (RFC 9309 section 2.2.2).</summary>
    private static string Canonical(string text, bool escapeSpecials)
    {
        var builder = new StringBuilder(text.Length);
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (b == '%' && i + 2 < bytes.Length && IsHex(bytes[i + 1]) && IsHex(bytes[i + 2]))
            {
                var decoded = (byte)Convert.ToInt32(Encoding.ASCII.GetString(bytes, i + 1, 2), 16);
                if (IsUnreserved(decoded))
                {
                    builder.Append((char)decoded);
                }
                else
                {
                    builder.Append('%').Append(decoded.ToString("X2", CultureInfo.InvariantCulture));
                }

                i += 2;
            }
            else if (b >= 0x80 || b < 0x21 || (escapeSpecials && (b == '*' || b == '$')))
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append((char)b);
            }
        }

        return builder.ToString();
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static bool IsUnreserved(byte b) => char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';
}
