namespace LabelPlatform.Core.Images;

/// <summary>The shape every storage key must have: lower-case ASCII segments, no empty, "." or ".." segment.</summary>
public static class BlobKeys
{
    public static string Check(string key)
    {
        var segments = key.Split('/');
        if (key.Length == 0 || segments.Any(s => s.Length == 0 || s is "." or ".." || !s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-' or '_')))
        {
            throw new ArgumentException($"not a storage key: {key}", nameof(key));
        }

        return key;
    }
}
