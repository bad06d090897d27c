using System.Net;
using System.Net.Sockets;

namespace LabelPlatform.Core.Outbound;

/// <summary>An IP range in CIDR notation.</summary>
public sealed record IpNetwork(IPAddress Prefix, int Length, string Name)
{
    public static bool TryParse(string text, string name, out IpNetwork? network)
    {
        network = null;
        var parts = text.Trim().Split('/');
        if (parts.Length > 2 || !IPAddress.TryParse(parts[0], out var address))
        {
            return false;
        }

        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = max;
        if (parts.Length == 2 && (!int.TryParse(parts[1], out length) || length < 0 || length > max))
        {
            return false;
        }

        network = new IpNetwork(address, length, name);
        return true;
    }

    public static IpNetwork Parse(string cidr, string name) => TryParse(cidr, name, out var n) ? n! : throw new ArgumentException($"'{cidr}' is not a CIDR range", nameof(cidr));

    public bool Contains(IPAddress address)
    {
        if (address.AddressFamily != Prefix.AddressFamily)
        {
            return false;
        }

        var a = address.GetAddressBytes();
        var p = Prefix.GetAddressBytes();
        var bits = Length;
        for (var i = 0; i < a.Length && bits > 0; i++, bits -= 8)
        {
            var mask = bits >= 8 ? 0xFF : (byte)(0xFF << (8 - bits));
            if ((a[i] & mask) != (p[i] & mask))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => $"{Prefix}/{Length}";
}
