namespace LabelPlatform.Core;

/// <summary>
/// appsettings.json and wwwroot live at the repository root, shared by the web app, the worker and the CLI. Run from
/// the repository (`dotnet run --project src/LabelPlatform.Web`) the current folder is that root; run from a build or
/// publish folder, the copies next to the executable are used. LABELPLATFORM_CONTENT_ROOT overrides both.
/// </summary>
public static class ContentRoot
{
    public static string Locate()
    {
        var explicitRoot = Environment.GetEnvironmentVariable("LABELPLATFORM_CONTENT_ROOT");
        if (!string.IsNullOrEmpty(explicitRoot))
        {
            return Path.GetFullPath(explicitRoot);
        }

        var current = Directory.GetCurrentDirectory();
        return IsRoot(current) ? current : AppContext.BaseDirectory;
    }

    private static bool IsRoot(string directory) =>
        File.Exists(Path.Combine(directory, "appsettings.json")) && File.Exists(Path.Combine(directory, "LabelPlatform.sln"));
}
