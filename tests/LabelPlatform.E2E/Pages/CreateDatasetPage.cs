using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Admin/Datasets/Create: name and description of a new dataset.</summary>
public sealed class CreateDatasetPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "New dataset", Exact = true });
    public ILocator Name => page.GetByLabel("Name", new() { Exact = true });
    public ILocator Description => page.GetByLabel("Description", new() { Exact = true });
    public ILocator CreateButton => page.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true });

    /// <summary>Creates the dataset; the app then sends the admin on to its import page.</summary>
    public async Task<ImportPage> CreateAsync(string name, string description)
    {
        await Name.FillAsync(name);
        await Description.FillAsync(description);
        await CreateButton.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/Admin/Datasets/Import\?datasetId=\d+$"));
        return new ImportPage(page);
    }
}
