using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Datasets: the list of datasets, with "New dataset" for admins.</summary>
public sealed class DatasetsPage(IPage page)
{
    public const string Path = "/Datasets";

    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Datasets", Exact = true });
    public ILocator NewDatasetLink => page.GetByRole(AriaRole.Link, new() { Name = "New dataset", Exact = true });
    public ILocator Table => page.Locator("#datasets");

    /// <summary>Navigates here; the response carries the HTTP status for access checks.</summary>
    public Task<IResponse?> GotoAsync() => page.GotoAsync(Path);

    public async Task<CreateDatasetPage> StartNewDatasetAsync()
    {
        await NewDatasetLink.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/Admin/Datasets/Create$"));
        return new CreateDatasetPage(page);
    }

    public ILocator Row(string datasetName) => Table.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = datasetName, Exact = true }) });
}
