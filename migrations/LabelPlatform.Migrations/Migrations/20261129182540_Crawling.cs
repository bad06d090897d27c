using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LabelPlatform.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class Crawling : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "NearDuplicateOfId",
                table: "Images",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PerceptualHash",
                table: "Images",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Crawls",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    SettingsJson = table.Column<string>(type: "TEXT", maxLength: 20000, nullable: false),
                    CurrentJobRunId = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Message = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Crawls", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Crawls_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_Crawls_JobRuns_CurrentJobRunId",
                        column: x => x.CurrentJobRunId,
                        principalTable: "JobRuns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "CrawlUrls",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    CrawlId = table.Column<int>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Url = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    Host = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    Depth = table.Column<int>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Retries = table.Column<int>(type: "INTEGER", nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    FoundOn = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    AltText = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    PageTitle = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    HttpStatus = table.Column<int>(type: "INTEGER", nullable: true),
                    FetchedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ImageId = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CrawlUrls", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CrawlUrls_Crawls_CrawlId",
                        column: x => x.CrawlId,
                        principalTable: "Crawls",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ImageProvenance",
                columns: table => new
                {
                    ImageId = table.Column<long>(type: "INTEGER", nullable: false),
                    CrawlId = table.Column<int>(type: "INTEGER", nullable: false),
                    JobRunId = table.Column<long>(type: "INTEGER", nullable: true),
                    PageUrl = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    ImageUrl = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    SourceHost = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    AltText = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    PageTitle = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    RobotsDecision = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    FetchedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ImageProvenance", x => x.ImageId);
                    table.ForeignKey(
                        name: "FK_ImageProvenance_Crawls_CrawlId",
                        column: x => x.CrawlId,
                        principalTable: "Crawls",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ImageProvenance_Images_ImageId",
                        column: x => x.ImageId,
                        principalTable: "Images",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Images_NearDuplicateOfId",
                table: "Images",
                column: "NearDuplicateOfId");

            migrationBuilder.CreateIndex(
                name: "IX_CrawlUrls_CrawlId_Kind_Url",
                table: "CrawlUrls",
                columns: new[] { "CrawlId", "Kind", "Url" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CrawlUrls_CrawlId_Status_Depth",
                table: "CrawlUrls",
                columns: new[] { "CrawlId", "Status", "Depth" });

            migrationBuilder.CreateIndex(
                name: "IX_Crawls_CreatedAt",
                table: "Crawls",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Crawls_CurrentJobRunId",
                table: "Crawls",
                column: "CurrentJobRunId");

            migrationBuilder.CreateIndex(
                name: "IX_Crawls_DatasetId",
                table: "Crawls",
                column: "DatasetId");

            migrationBuilder.CreateIndex(
                name: "IX_ImageProvenance_CrawlId",
                table: "ImageProvenance",
                column: "CrawlId");

            migrationBuilder.CreateIndex(
                name: "IX_ImageProvenance_SourceHost",
                table: "ImageProvenance",
                column: "SourceHost");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CrawlUrls");

            migrationBuilder.DropTable(
                name: "ImageProvenance");

            migrationBuilder.DropTable(
                name: "Crawls");

            migrationBuilder.DropIndex(
                name: "IX_Images_NearDuplicateOfId",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "NearDuplicateOfId",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "PerceptualHash",
                table: "Images");
        }
    }
}
