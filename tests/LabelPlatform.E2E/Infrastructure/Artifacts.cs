using Microsoft.Playwright;

namespace LabelPlatform.E2E.Infrastructure;

/// <summary>Where screenshots and traces go so humans (and CI artifact uploads) can find them.</summary>
public static class Artifacts
{
    /// <summary>
    /// The folder screenshots are written to, when set (tests/run.sh points it at the repository's
    /// TestResults/screenshots so they are easy to find and upload).
    /// </summary>
    public const string DirectoryVariable = "E2E_ARTIFACTS";

    /// <summary>$E2E_ARTIFACTS, or TestResults/screenshots under the test output folder.</summary>
    public static string ScreenshotDirectory { get; } = Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } folder
        ? Path.GetFullPath(folder)
        : Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    /// <summary>Full-page PNG named after <paramref name="name"/>; returns its path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, Sanitize(name) + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = path,
            FullPage = true,
            // Finishes CSS transitions (the progress bar's width) so the picture shows the final state.
            Animations = ScreenshotAnimations.Disabled,
        });
        return path;
    }

    /// <summary>Where a failed test's Playwright trace (a zip) goes, beside the screenshots.</summary>
    public static string TracePath(string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        return Path.Combine(ScreenshotDirectory, Sanitize(name) + ".trace.zip");
    }

    private static string Sanitize(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        return new string(name.Select(c => invalid.Contains(c) || char.IsWhiteSpace(c) ? '_' : c).ToArray());
    }
}
