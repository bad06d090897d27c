using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LabelPlatform.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class CrawlHosts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ClaimExpiresAt",
                table: "CrawlUrls",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ClaimedBy",
                table: "CrawlUrls",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "CrawlHosts",
                columns: table => new
                {
                    CrawlId = table.Column<int>(type: "integer", nullable: false),
                    Host = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    NextFetchAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CrawlHosts", x => new { x.CrawlId, x.Host });
                    table.ForeignKey(
                        name: "FK_CrawlHosts_Crawls_CrawlId",
                        column: x => x.CrawlId,
                        principalTable: "Crawls",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CrawlHosts");

            migrationBuilder.DropColumn(
                name: "ClaimExpiresAt",
                table: "CrawlUrls");

            migrationBuilder.DropColumn(
                name: "ClaimedBy",
                table: "CrawlUrls");
        }
    }
}
