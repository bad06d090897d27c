using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Admin/Datasets/Import: three sources (server folder, upload, URL); the tests use the folder form.</summary>
public sealed class ImportPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Level = 1 });
    public ILocator Flash => page.GetByRole(AriaRole.Status);
    public ILocator FolderForm => page.Locator("#import-folder");
    public ILocator FolderPath => FolderForm.GetByLabel("Folder on the server");
    public ILocator NoiseClass => FolderForm.GetByLabel("Noise/background class (optional)");
    public ILocator ImportFolderButton => FolderForm.GetByRole(AriaRole.Button, new() { Name = "Import folder", Exact = true });

    /// <summary>Queues a folder import; the app redirects to the new job run's page.</summary>
    public async Task<JobPage> ImportFolderAsync(string path)
    {
        await FolderPath.FillAsync(path);
        await ImportFolderButton.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/Admin/Jobs/Details/\d+$"));
        return new JobPage(page);
    }
}
